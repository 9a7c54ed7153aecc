// The rules of the candle projections (pulse_internal.candle_upbit, _binance,
// _coinone): which texts are usable times, periods and decimals, how times
// are printed in reject reasons, and which problem a projected candle has.
// Pure: the projection (entry/candles.cpp) walks the jsonb and hands the
// values in; numbers stay opaque (PostgreSQL numerics) behind an Ops type.
#pragma once

#include "core/no_postgres.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pulse::candle {

inline constexpr int64_t kMicrosPerMinute = 60'000'000;

// The loader's period names ('1m' ... '4h') in minutes; nullopt if unknown.
std::optional<int> period_minutes(std::string_view name);

// A plain decimal string, as Binance and Coinone quote prices:
// -?[0-9]+(\.[0-9]+)? and at most 1,000 characters.
bool is_plain_decimal(std::string_view s);

// Epoch milliseconds as microseconds since 1970, from a JSON string of
// digits (at most 15) ...
std::optional<int64_t> epoch_ms_from_string(std::string_view s);
// ... or from a JSON number as PostgreSQL prints it (numeric_out: no
// exponent): a non-negative integer below 1e15 (trailing fraction zeros
// allowed). nullopt otherwise.
std::optional<int64_t> epoch_ms_from_number(std::string_view printed);

// Upbit's candle_date_time_utc ("2020-02-20T11:19:00", year 1000-9999, a day
// the month has) as microseconds since 1970; nullopt otherwise.
std::optional<int64_t> parse_upbit_utc(std::string_view s);

// A time in reject reasons: "YYYY-MM-DDTHH:MM:SS.mmmZ" in UTC (what
// to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') prints).
std::string utc_text(int64_t unix_micros);
// A period as to_char(interval, 'HH24:MI:SS') prints it.
std::string period_text(int minutes);

// Whether a time lies on its period's grid counted from 1970-01-01 (as
// `t = date_bin(period, t, epoch)` decides).
bool on_grid(int64_t unix_micros, int64_t period_micros);

// Everything candle_problem looks at. Absent optionals are SQL NULLs.
template <typename Num>
struct Check {
  const char* noun = "";                      // "upbit candle"
  std::optional<std::string> shape_problem;   // the record's JSON type
  bool has_market_and_period = false;         // the landing payload's
  std::optional<std::string> record_problem;  // the exchange's own record checks
  std::optional<std::string> time_problem;
  std::optional<int64_t> bucket_start;        // microseconds since 1970
  int64_t period_micros = 0;
  int period_minutes = 0;
  // open, high, low, close, volume, quote_volume
  std::array<std::optional<Num>, 6> values;
  std::optional<int64_t> observed_at;
  std::optional<int64_t> range_from, range_until;  // the page's, if the loader sent them
  int64_t now = 0;                            // the transaction's start
  std::optional<std::string> later_problem;   // the exchange's later checks
};

// Why the candle cannot be stored, or nullopt. One order and wording for
// every exchange. Ops: int cmp(const Num&, const Num&) (<0, 0, >0),
// bool negative(const Num&), std::string text(const Num&).
template <typename Num, typename Ops>
std::optional<std::string> problem(const Check<Num>& c, const Ops& ops) {
  if (c.shape_problem) return c.shape_problem;
  if (!c.has_market_and_period) return std::string("landing payload lacks market or a known period");
  if (c.record_problem) return c.record_problem;
  if (c.time_problem) return c.time_problem;
  const std::string noun(c.noun);
  for (const auto& v : c.values)
    if (!v) return noun + " has a missing or non-numeric price or volume";
  for (const auto& v : c.values)
    if (ops.negative(*v)) return noun + " has a negative price or volume";
  const Num& open = *c.values[0];
  const Num& high = *c.values[1];
  const Num& low = *c.values[2];
  const Num& close = *c.values[3];
  if (ops.cmp(high, low) < 0)
    return noun + " has high " + ops.text(high) + " below low " + ops.text(low);
  if (ops.cmp(open, low) < 0 || ops.cmp(open, high) > 0 || ops.cmp(close, low) < 0 || ops.cmp(close, high) > 0)
    return noun + " has open " + ops.text(open) + " or close " + ops.text(close) + " outside [low " + ops.text(low) +
           ", high " + ops.text(high) + "]";
  // Every projection sets time_problem when bucket_start is unknown.
  if (c.bucket_start) {
    const int64_t t = *c.bucket_start;
    if (!on_grid(t, c.period_micros))
      return noun + " opens at " + utc_text(t) + ", not on the " + period_text(c.period_minutes) + " grid";
    if (t > c.now + c.period_micros)
      return noun + " opens at " + utc_text(t) + ", more than " + period_text(c.period_minutes) + " in the future";
    if (c.observed_at && *c.observed_at > c.now + c.period_micros)
      return noun + " last trade at " + utc_text(*c.observed_at) + ", more than " + period_text(c.period_minutes) +
             " in the future";
    if ((c.range_from && t < *c.range_from) || (c.range_until && t >= *c.range_until))
      return noun + " opens at " + utc_text(t) + ", outside the range its page was asked for";
  }
  return c.later_problem;
}

}  // namespace pulse::candle

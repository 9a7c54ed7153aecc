// core/candle_rules: the pure rules of the candle projections.
#include <gtest/gtest.h>

#include <string>

#include "core/candle_rules.h"

namespace candle = pulse::candle;

TEST(CandleRules, Periods) {
  EXPECT_EQ(candle::period_minutes("1m"), 1);
  EXPECT_EQ(candle::period_minutes("4h"), 240);
  EXPECT_EQ(candle::period_minutes("1h"), 60);
  EXPECT_FALSE(candle::period_minutes("2m"));
  EXPECT_FALSE(candle::period_minutes("1M"));
  EXPECT_FALSE(candle::period_minutes(""));
  EXPECT_EQ(candle::period_text(1), "00:01:00");
  EXPECT_EQ(candle::period_text(240), "04:00:00");
}

TEST(CandleRules, PlainDecimals) {
  for (const char* ok : {"0", "-0", "1", "-1", "1.5", "007", "0.000", "34970.90000000"})
    EXPECT_TRUE(candle::is_plain_decimal(ok)) << ok;
  for (const char* bad : {"", "-", "1.", ".5", "-.5", "+1", " 1", "1 ", "1e3", "NaN", "Infinity", "-Infinity",
                          "0x10", "1,5", "1.2.3", "--1", "\xd9\xa1"})
    EXPECT_FALSE(candle::is_plain_decimal(bad)) << bad;
  EXPECT_TRUE(candle::is_plain_decimal(std::string(1000, '9')));
  EXPECT_FALSE(candle::is_plain_decimal(std::string(1001, '9')));
  EXPECT_TRUE(candle::is_plain_decimal("-" + std::string(999, '9')));
  EXPECT_FALSE(candle::is_plain_decimal("-" + std::string(1000, '9')));
}

TEST(CandleRules, EpochMilliseconds) {
  EXPECT_EQ(candle::epoch_ms_from_string("1582197598691"), 1582197598691000);
  EXPECT_EQ(candle::epoch_ms_from_string("000000000000001"), 1000);
  EXPECT_EQ(candle::epoch_ms_from_string("999999999999999"), 999999999999999000);
  EXPECT_FALSE(candle::epoch_ms_from_string("0999999999999999"));  // 16 characters
  EXPECT_FALSE(candle::epoch_ms_from_string(""));
  EXPECT_FALSE(candle::epoch_ms_from_string("-1"));
  EXPECT_FALSE(candle::epoch_ms_from_string("1.0"));
  // numbers as numeric_out prints them
  EXPECT_EQ(candle::epoch_ms_from_number("1582197598691"), 1582197598691000);
  EXPECT_EQ(candle::epoch_ms_from_number("1582197598691.000"), 1582197598691000);
  EXPECT_EQ(candle::epoch_ms_from_number("0"), 0);
  EXPECT_FALSE(candle::epoch_ms_from_number("1582197598691.5"));
  EXPECT_FALSE(candle::epoch_ms_from_number("1000000000000000"));
  EXPECT_FALSE(candle::epoch_ms_from_number("-1"));
  EXPECT_FALSE(candle::epoch_ms_from_number("NaN"));
  EXPECT_FALSE(candle::epoch_ms_from_number("1."));
  EXPECT_FALSE(candle::epoch_ms_from_number(std::string(400, '9')));
}

TEST(CandleRules, UpbitDates) {
  EXPECT_EQ(candle::parse_upbit_utc("2020-02-20T11:19:00"), int64_t{1582197540} * 1000000);
  EXPECT_EQ(candle::parse_upbit_utc("2020-02-29T00:00:00"), int64_t{1582934400} * 1000000);
  EXPECT_EQ(candle::parse_upbit_utc("1960-01-01T00:00:00"), int64_t{-315619200} * 1000000);
  EXPECT_TRUE(candle::parse_upbit_utc("1000-01-01T00:00:00"));
  EXPECT_TRUE(candle::parse_upbit_utc("2000-02-29T00:00:00"));
  for (const char* bad : {"2020-02-30T11:19:00", "2021-02-29T00:00:00", "2100-02-29T00:00:00", "2021-04-31T00:00:00",
                          "0999-01-01T00:00:00", "0000-01-01T00:00:00", "2020-02-20T24:00:00", "2020-02-20T11:60:00",
                          "2020-02-20T11:19:60", "2020-13-01T00:00:00", "2020-00-01T00:00:00", "2020-01-00T00:00:00",
                          "2020-02-20T11:19:00Z", "2020-02-20 11:19:00", "2020-2-20T11:19:00", "2020-02-20T11:19:0",
                          "", "2020-02-20T11:19:00\n"})
    EXPECT_FALSE(candle::parse_upbit_utc(bad)) << bad;
}

TEST(CandleRules, UtcText) {
  EXPECT_EQ(candle::utc_text(int64_t{1582197540} * 1000000), "2020-02-20T11:19:00.000Z");
  EXPECT_EQ(candle::utc_text(1624559579999000), "2021-06-24T18:32:59.999Z");
  EXPECT_EQ(candle::utc_text(999999999999999000), "33658-09-27T01:46:39.999Z");
  EXPECT_EQ(candle::utc_text(int64_t{-315619200} * 1000000), "1960-01-01T00:00:00.000Z");
  EXPECT_EQ(candle::utc_text(-1000), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(candle::utc_text(0), "1970-01-01T00:00:00.000Z");
}

TEST(CandleRules, Grid) {
  const int64_t minute = candle::kMicrosPerMinute;
  EXPECT_TRUE(candle::on_grid(0, minute));
  EXPECT_TRUE(candle::on_grid(-3 * minute, 3 * minute));
  EXPECT_FALSE(candle::on_grid(-2 * minute, 3 * minute));
  EXPECT_FALSE(candle::on_grid(1000, minute));
  EXPECT_FALSE(candle::on_grid(minute, 0));
}

namespace {

// Exact small decimals for the tests: thousandths.
struct MilliOps {
  int cmp(long a, long b) const { return a < b ? -1 : a > b ? 1 : 0; }
  bool negative(long a) const { return a < 0; }
  std::string text(long a) const { return std::to_string(a); }
};

candle::Check<long> good() {
  candle::Check<long> c;
  c.noun = "test candle";
  c.has_market_and_period = true;
  c.period_minutes = 1;
  c.period_micros = candle::kMicrosPerMinute;
  c.bucket_start = 60 * candle::kMicrosPerMinute;
  c.values = {100, 110, 90, 105, 1, 2};
  c.observed_at = *c.bucket_start + 1;
  c.now = 1000 * candle::kMicrosPerMinute;
  return c;
}

}  // namespace

TEST(CandleRules, ProblemOrder) {
  MilliOps ops;
  EXPECT_FALSE(candle::problem(good(), ops));
  auto c = good();
  c.later_problem = "later";
  EXPECT_EQ(candle::problem(c, ops), "later");
  c.values[1] = 80;  // high below low wins over the later check
  EXPECT_EQ(candle::problem(c, ops), "test candle has high 80 below low 90");
  c.values[4] = -1;  // negative comes first
  EXPECT_EQ(candle::problem(c, ops), "test candle has a negative price or volume");
  c.values[5].reset();
  EXPECT_EQ(candle::problem(c, ops), "test candle has a missing or non-numeric price or volume");
  c.time_problem = "time";
  EXPECT_EQ(candle::problem(c, ops), "time");
  c.record_problem = "record";
  EXPECT_EQ(candle::problem(c, ops), "record");
  c.has_market_and_period = false;
  EXPECT_EQ(candle::problem(c, ops), "landing payload lacks market or a known period");
  c.shape_problem = "shape";
  EXPECT_EQ(candle::problem(c, ops), "shape");

  c = good();
  c.values[0] = 120;
  EXPECT_EQ(candle::problem(c, ops), "test candle has open 120 or close 105 outside [low 90, high 110]");
  c = good();
  *c.bucket_start += 1000;
  EXPECT_EQ(candle::problem(c, ops), "test candle opens at 1970-01-01T01:00:00.001Z, not on the 00:01:00 grid");
  c = good();
  c.bucket_start = c.now + 2 * candle::kMicrosPerMinute;
  EXPECT_EQ(candle::problem(c, ops), "test candle opens at 1970-01-01T16:42:00.000Z, more than 00:01:00 in the future");
  c = good();
  c.observed_at = c.now + candle::kMicrosPerMinute + 1;
  EXPECT_EQ(candle::problem(c, ops),
            "test candle last trade at 1970-01-01T16:41:00.000Z, more than 00:01:00 in the future");
  c = good();
  c.range_until = c.bucket_start;
  EXPECT_EQ(candle::problem(c, ops), "test candle opens at 1970-01-01T01:00:00.000Z, outside the range its page was asked for");
  c = good();
  c.range_from = *c.bucket_start + 1;
  EXPECT_TRUE(candle::problem(c, ops));
  c.range_from = c.bucket_start;
  EXPECT_FALSE(candle::problem(c, ops));
}

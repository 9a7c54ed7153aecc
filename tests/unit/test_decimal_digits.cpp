// core/decimal_digits: a plain decimal's base-10,000 digits as numeric_in
// stores them (the byte-for-byte check against numeric_in itself is in the
// candles_projection regression test).
#include "core/decimal_digits.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

struct Want {
  bool negative;
  int weight;
  int dscale;
  std::vector<int16_t> groups;
};

void expect_digits(const std::string& text, const Want& w) {
  auto d = pulse::short_decimal_digits(text);
  ASSERT_TRUE(d.has_value()) << text;
  EXPECT_EQ(d->negative, w.negative) << text;
  EXPECT_EQ(d->weight, w.weight) << text;
  EXPECT_EQ(d->dscale, w.dscale) << text;
  EXPECT_EQ(std::vector<int16_t>(d->groups.begin(), d->groups.begin() + d->ngroups), w.groups) << text;
}

TEST(DecimalDigits, GroupsAlignOnThePoint) {
  expect_digits("12345.6789", {false, 1, 4, {1, 2345, 6789}});
  expect_digits("34970.00001234", {false, 1, 8, {3, 4970, 0, 1234}});
  expect_digits("-0.5", {true, -1, 1, {5000}});
  expect_digits("0.00001", {false, -2, 5, {1000}});
  expect_digits("100000000", {false, 2, 0, {1}});
  expect_digits("10000.0001", {false, 1, 4, {1, 0, 1}});
}

TEST(DecimalDigits, ZerosArePositiveWithWeightZeroAndKeepTheirScale) {
  expect_digits("0", {false, 0, 0, {}});
  expect_digits("-0", {false, 0, 0, {}});
  expect_digits("-000.000", {false, 0, 3, {}});
  expect_digits("0012.3400", {false, 0, 4, {12, 3400}});
}

TEST(DecimalDigits, OnlyWhatTheShortFormHolds) {
  EXPECT_TRUE(pulse::short_decimal_digits("0." + std::string(63, '1')).has_value());
  EXPECT_FALSE(pulse::short_decimal_digits("0." + std::string(64, '1')).has_value());
  EXPECT_TRUE(pulse::short_decimal_digits(std::string(256, '9')).has_value());
  EXPECT_FALSE(pulse::short_decimal_digits("1" + std::string(256, '0')).has_value());
  EXPECT_TRUE(pulse::short_decimal_digits(std::string(500, '0') + "7").has_value());
  for (const char* bad : {"", "-", ".5", "5.", "1e3", "+1", "1.2.3", " 1", "1 ", "0x10", "NaN", "Infinity", "--1", "1,5"})
    EXPECT_FALSE(pulse::short_decimal_digits(bad).has_value()) << bad;
}

}  // namespace

// pulse-load's command line: subcommands, flags and usage errors.
#include <gtest/gtest.h>

#include "core/cli.h"

using pulse::load::parse_args;
using pulse::load::UsageError;

TEST(Cli, HelpReturnsNoOptions) {
  EXPECT_FALSE(parse_args({"--help"}).has_value());
  EXPECT_FALSE(parse_args({"candles", "--help"}).has_value());
}

TEST(Cli, ParsesValuesInBothForms) {
  auto opts = parse_args({"candles", "--exchange", "upbit", "--market=KRW-BTC", "--follow"});
  ASSERT_TRUE(opts.has_value());
  EXPECT_EQ(opts->command, "candles");
  EXPECT_EQ(opts->get_or("exchange", ""), "upbit");
  EXPECT_EQ(opts->get_or("market", ""), "KRW-BTC");
  EXPECT_TRUE(opts->has("follow"));
  EXPECT_FALSE(opts->has("since"));
}

TEST(Cli, RejectsUnknownCommandAndFlags) {
  EXPECT_THROW(parse_args({}), UsageError);
  EXPECT_THROW(parse_args({"trades"}), UsageError);
  EXPECT_THROW(parse_args({"candles", "--nope"}), UsageError);
  EXPECT_THROW(parse_args({"tweets", "--exchange", "upbit"}), UsageError);  // candles-only flag
  EXPECT_THROW(parse_args({"candles", "--market"}), UsageError);           // missing value
  EXPECT_THROW(parse_args({"candles", "--follow=yes"}), UsageError);       // switch with value
  EXPECT_THROW(parse_args({"candles", "stray"}), UsageError);
}

TEST(Cli, IntegerFlagsAreRangeChecked) {
  auto opts = parse_args({"tweets", "--batch-rows", "500", "--batch-bytes", "12x"});
  ASSERT_TRUE(opts.has_value());
  EXPECT_EQ(opts->get_int("batch-rows", 1, 1, 1000000), 500);
  EXPECT_EQ(opts->get_int("flush-interval", 1000, 1, 3600000), 1000);
  EXPECT_THROW(opts->get_int("batch-bytes", 1, 1, 1 << 30), UsageError);
  auto huge = parse_args({"tweets", "--batch-rows", "99999999999999999999"});
  EXPECT_THROW(huge->get_int("batch-rows", 1, 1, 1000000), UsageError);
}

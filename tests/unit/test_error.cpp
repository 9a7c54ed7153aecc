// pulse::Error carries a five-character SQLSTATE across the boundary.
#include <gtest/gtest.h>

#include "core/error.h"

TEST(Error, KeepsSqlstateAndTexts) {
  pulse::Error e(pulse::sqlstate::kUndefinedColumn, "column \"x\" does not exist", "d", "h");
  EXPECT_STREQ(e.sqlstate(), "42703");
  EXPECT_STREQ(e.what(), "column \"x\" does not exist");
  EXPECT_EQ(e.detail(), "d");
  EXPECT_EQ(e.hint(), "h");
}

TEST(Error, ShortOrNullSqlstateIsPaddedNotOverread) {
  pulse::Error a("22", "short");
  EXPECT_STREQ(a.sqlstate(), "22000");
  pulse::Error b(nullptr, "null");
  EXPECT_STREQ(b.sqlstate(), "00000");
}

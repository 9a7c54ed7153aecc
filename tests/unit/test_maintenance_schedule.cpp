// pulse.maintenance_databases parsing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/maintenance_schedule.h"

using pulse::parse_database_selection;

TEST(MaintenanceSchedule, StarMeansAll) {
  auto s = parse_database_selection(" * ");
  EXPECT_TRUE(s.all);
  EXPECT_TRUE(s.names.empty());
}

TEST(MaintenanceSchedule, EmptyMeansNone) {
  auto s = parse_database_selection("  ");
  EXPECT_FALSE(s.all);
  EXPECT_TRUE(s.names.empty());
}

TEST(MaintenanceSchedule, ListIsTrimmedAndDeduplicated) {
  auto s = parse_database_selection("pulse, analytics ,pulse");
  EXPECT_FALSE(s.all);
  EXPECT_EQ(s.names, (std::vector<std::string>{"pulse", "analytics"}));
}

TEST(MaintenanceSchedule, QuotedNamesKeepCommasSpacesAndQuotes) {
  auto s = parse_database_selection("\"My, DB\" , \"a\"\"b\", \"*\"");
  EXPECT_FALSE(s.all);
  EXPECT_EQ(s.names, (std::vector<std::string>{"My, DB", "a\"b", "*"}));
}

TEST(MaintenanceSchedule, BadValuesAreRejectedWith22023) {
  for (const char* bad : {"a,,b", "a,", "\"open", "\"x\" y", "*, pulse",
                          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
    try {
      parse_database_selection(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const pulse::Error& e) {
      EXPECT_STREQ(e.sqlstate(), "22023") << bad;
    }
  }
}

// The JSON that pulse.create_rollup reads back (core/rollup_shape.h).
#include <gtest/gtest.h>

#include "core/rollup_shape.h"

namespace {

TEST(RollupShape, QuotesEveryCharacterJsonNeeds) {
  EXPECT_EQ(pulse::json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(pulse::json_quote("x\ny\tz\r"), "\"x\\ny\\tz\\r\"");
  EXPECT_EQ(pulse::json_quote(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(pulse::json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 passes through
  EXPECT_EQ(pulse::json_quote(""), "\"\"");
}

TEST(RollupShape, WritesEveryPart) {
  pulse::RollupShape s;
  s.relid = 42;
  s.relation = "public.\"Ev\"";
  s.kind = pulse::WindowKind::kHop;
  s.window_name = "w";
  s.time_column = "ts";
  s.size = "'00:10:00'::interval";
  s.slide = "'00:05:00'::interval";
  s.groups.push_back({"k", "lower(k)", "text", "", false});
  s.aggregates.push_back({"n", "count(DISTINCT v)", "bigint", "count", true});
  EXPECT_EQ(pulse::rollup_shape_json(s),
            "{\"relid\":42,\"relation\":\"public.\\\"Ev\\\"\",\"kind\":\"hop\",\"window_name\":\"w\","
            "\"time_column\":\"ts\",\"size\":\"'00:10:00'::interval\",\"slide\":\"'00:05:00'::interval\","
            "\"origin\":null,\"groups\":[{\"name\":\"k\",\"expr\":\"lower(k)\",\"type\":\"text\"}],"
            "\"aggregates\":[{\"name\":\"n\",\"expr\":\"count(DISTINCT v)\",\"type\":\"bigint\",\"func\":\"count\","
            "\"distinct\":true,\"additive\":false}],\"where\":null}");
  s.kind = pulse::WindowKind::kSession;
  s.where = "v > 3";
  std::string j = pulse::rollup_shape_json(s);
  EXPECT_NE(j.find("\"kind\":\"session\""), std::string::npos);
  EXPECT_NE(j.find("\"where\":\"v > 3\""), std::string::npos);
}

}  // namespace

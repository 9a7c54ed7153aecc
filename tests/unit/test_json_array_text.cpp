// The cutting of a JSON array text into its elements (core/json_array_text.h).
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/json_array_text.h"

namespace {

std::vector<std::string> elements(std::string_view text) {
  auto spans = pulse::json_array_spans(text);
  EXPECT_TRUE(spans.has_value()) << text;
  std::vector<std::string> out;
  if (!spans) return out;
  for (const pulse::Span& s : *spans) out.emplace_back(text.substr(s.begin, s.end - s.begin));
  return out;
}

TEST(JsonArrayText, CutsAtTopLevelCommasOnly) {
  EXPECT_EQ(elements(R"([1,"a,b",{"k":[1,2],"j":{"x":","}},[[]],null])"),
            (std::vector<std::string>{"1", R"("a,b")", R"({"k":[1,2],"j":{"x":","}})", "[[]]", "null"}));
}

TEST(JsonArrayText, BracketsAndQuotesInsideStrings) {
  EXPECT_EQ(elements(R"(["]", "[", "}", "{", "\"],\"", "\\", "\\\"", "a\\\\"])"),
            (std::vector<std::string>{R"("]")", R"("[")", R"("}")", R"("{")", R"("\"],\"")", R"("\\")", R"("\\\"")",
                                      R"("a\\\\")"}));
}

TEST(JsonArrayText, WhiteSpaceAroundIsNotPartOfAnElement) {
  EXPECT_EQ(elements(" \n[ 1 ,\t{ \"a\" : 1 }\r\n, \"x y\" ] \n"),
            (std::vector<std::string>{"1", "{ \"a\" : 1 }", "\"x y\""}));
  EXPECT_TRUE(elements("[]").empty());
  EXPECT_TRUE(elements(" [ ] ").empty());
}

TEST(JsonArrayText, WhatItCannotCut) {
  for (std::string_view bad : {"", "  ", "{}", "1", "\"[1]\"", "[", "[1", "[1,", "[1,]", "[,1]", "[,]", "[1]x", "[1]]",
                               "[\"abc]", "[\"abc\\\"]", "[[1]", "[1]}", "[}]", "[{]", "[1],[2]"}) {
    EXPECT_FALSE(pulse::json_array_spans(bad).has_value()) << bad;
  }
}

TEST(JsonArrayText, ManyElementsKeepTheirOrder) {
  std::string text = "[";
  for (int i = 0; i < 10000; ++i) text += (i ? "," : "") + std::string("{\"i\":\"") + std::to_string(i) + "\"}";
  text += "]";
  auto spans = pulse::json_array_spans(text);
  ASSERT_TRUE(spans.has_value());
  ASSERT_EQ(spans->size(), 10000u);
  EXPECT_EQ(text.substr((*spans)[9999].begin, (*spans)[9999].end - (*spans)[9999].begin), "{\"i\":\"9999\"}");
}

}  // namespace

namespace {

TEST(JsonArrayText, WideNumbersAreFoundOutsideStringsOnly) {
  EXPECT_TRUE(pulse::json_may_hold_wide_numbers("[1e5]"));
  EXPECT_TRUE(pulse::json_may_hold_wide_numbers("[{\"a\": -2.5E-3}]"));
  EXPECT_TRUE(pulse::json_may_hold_wide_numbers("[" + std::string(1001, '9') + "]"));
  EXPECT_TRUE(pulse::json_may_hold_wide_numbers("[\"open"));  // not JSON: the parser decides
  EXPECT_FALSE(pulse::json_may_hold_wide_numbers("[" + std::string(1000, '9') + "]"));
  EXPECT_FALSE(pulse::json_may_hold_wide_numbers("[true, false, null, 1.5, -0, \"1e5\", {\"e\": \"9E9\"}]"));
  EXPECT_FALSE(pulse::json_may_hold_wide_numbers("[\"\\\"1e5\", \"" + std::string(5000, '9') + "\"]"));
}

}  // namespace

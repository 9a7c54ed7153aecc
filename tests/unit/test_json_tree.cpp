// The On-Demand reader of record text that keeps numbers as written
// (core/json_tree.h), used by the candle projections.
#include <gtest/gtest.h>

#include <string>

#include "core/json_tree.h"

namespace {

using pulse::json::Tree;
using pulse::json::TreeKind;

TEST(JsonTree, NumbersKeepTheirTextStringsAreUnescaped) {
  Tree t;
  ASSERT_TRUE(t.parse(R"( {"p": 100.50 , "q":-0, "r":[0.00000001, 12345678901234567890123], "s":"a\"\u00e9\ud83d\ude00"} )"));
  EXPECT_EQ(t.kind(t.root()), TreeKind::kObject);
  Tree::Node p = t.field(t.root(), "p");
  EXPECT_EQ(t.kind(p), TreeKind::kNumber);
  EXPECT_EQ(t.text(p), "100.50");
  EXPECT_EQ(t.text(t.field(t.root(), "q")), "-0");
  Tree::Node r = t.field(t.root(), "r");
  EXPECT_EQ(t.size(r), 2);
  EXPECT_EQ(t.text(t.element(r, 0)), "0.00000001");
  EXPECT_EQ(t.text(t.element(r, 1)), "12345678901234567890123");
  EXPECT_EQ(t.element(r, 2), Tree::kNone);
  EXPECT_EQ(t.element(r, -1), Tree::kNone);
  EXPECT_EQ(t.text(t.field(t.root(), "s")), "a\"\xc3\xa9\xf0\x9f\x98\x80");
}

TEST(JsonTree, LastDuplicateKeyAndEscapedKeys) {
  Tree t;
  ASSERT_TRUE(t.parse(R"({"a":1,"b":true,"a":[2],"\u0061":null})"));
  EXPECT_EQ(t.kind(t.field(t.root(), "a")), TreeKind::kNull);
  EXPECT_TRUE(t.boolean(t.field(t.root(), "b")));
  EXPECT_EQ(t.field(t.root(), "c"), Tree::kNone);
  EXPECT_EQ(t.kind(Tree::kNone), TreeKind::kAbsent);
  EXPECT_EQ(t.field(t.field(t.root(), "b"), "x"), Tree::kNone);
}

TEST(JsonTree, ScalarDocumentsAndEmptyContainers) {
  Tree t;
  ASSERT_TRUE(t.parse(" 1.50\n"));
  EXPECT_EQ(t.kind(t.root()), TreeKind::kNumber);
  EXPECT_EQ(t.text(t.root()), "1.50");
  ASSERT_TRUE(t.parse(R"("x")"));
  EXPECT_EQ(t.text(t.root()), "x");
  ASSERT_TRUE(t.parse("null"));
  EXPECT_EQ(t.kind(t.root()), TreeKind::kNull);
  ASSERT_TRUE(t.parse("[]"));
  EXPECT_EQ(t.size(t.root()), 0);
  ASSERT_TRUE(t.parse("{}"));
  EXPECT_EQ(t.kind(t.root()), TreeKind::kObject);
}

TEST(JsonTree, RefusesWhatJsonbCouldReadApart) {
  Tree t;
  EXPECT_FALSE(t.parse(R"({"a":"\u0000"})"));
  EXPECT_FALSE(t.parse(R"({"a":"\ud800"})"));
  EXPECT_FALSE(t.parse(R"([1e400])"));
  EXPECT_FALSE(t.parse(R"([1E2])"));
  EXPECT_FALSE(t.parse("[" + std::string(1001, '9') + "]"));
  EXPECT_FALSE(t.parse(std::string(65, '[') + std::string(65, ']')));
  EXPECT_TRUE(t.parse(std::string(64, '[') + std::string(64, ']')));
  EXPECT_TRUE(t.parse(R"({"a":"1e400"})"));  // only numbers count
  EXPECT_TRUE(t.parse("[" + std::string(1000, '9') + "]"));
  EXPECT_FALSE(t.parse(std::string(Tree::kMaxText + 1, ' ')));
  // Malformed text, and text after the value.
  EXPECT_FALSE(t.parse("[01]"));
  EXPECT_FALSE(t.parse("[1.]"));
  EXPECT_FALSE(t.parse("[-]"));
  EXPECT_FALSE(t.parse("[1,]"));
  EXPECT_FALSE(t.parse(R"({"a" 1})"));
  EXPECT_FALSE(t.parse("[tru]"));
  EXPECT_FALSE(t.parse("[nul]"));
  EXPECT_FALSE(t.parse("[1] [2]"));
  EXPECT_FALSE(t.parse("1 2"));
  EXPECT_FALSE(t.parse(R"("x" 1)"));
  EXPECT_FALSE(t.parse("true 1"));
  EXPECT_FALSE(t.parse("null null"));
  EXPECT_FALSE(t.parse("{} 1"));
  EXPECT_FALSE(t.parse(""));
  EXPECT_FALSE(t.parse(R"({"a":"unterminated})"));
  // A failed parse leaves nothing to read.
  EXPECT_EQ(t.kind(t.root()), TreeKind::kAbsent);
}

}  // namespace

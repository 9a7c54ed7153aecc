// The reader of record text that must read as jsonb reads (core/json_record.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/json_record.h"

namespace {

using pulse::json::Kind;
using pulse::json::Record;

TEST(JsonRecord, EscapesThatJsonbRefusesOrDecodesAlike) {
  using pulse::json::escapes_agree_with_jsonb;
  EXPECT_TRUE(escapes_agree_with_jsonb(R"({"a":"plain"})"));
  EXPECT_TRUE(escapes_agree_with_jsonb(R"({"a":"\n\t\"\\\/ \u00e9 \u0001"})"));
  EXPECT_TRUE(escapes_agree_with_jsonb(R"({"a":"\ud83d\ude00"})"));
  EXPECT_TRUE(escapes_agree_with_jsonb(R"({"a":"\\u0000"})"));  // an escaped backslash, then text
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"a":"\u0000"})"));
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"\u0000":1})"));
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"a":"\ud800"})"));
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"a":"\ud800\u0041"})"));
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"a":"\ud800x"})"));
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"a":"\udc00\ud800"})"));
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"a":"\u12"})"));
  EXPECT_FALSE(escapes_agree_with_jsonb(R"({"a":"\u12g4"})"));
  EXPECT_FALSE(escapes_agree_with_jsonb("\"\\"));
}

TEST(JsonRecord, LastDuplicateKeyWinsAsInJsonb) {
  Record r;
  ASSERT_TRUE(r.parse(R"({"id":"1","x":{"id":2},"id":"3"})"));
  Record::Node id = r.get(r.root(), "id");
  ASSERT_NE(id, Record::kNone);
  EXPECT_EQ(r.kind(id), Kind::kString);
  EXPECT_EQ(r.string(id), "3");
  EXPECT_EQ(r.get(r.root(), "missing"), Record::kNone);
  EXPECT_EQ(r.get(id, "id"), Record::kNone);  // not an object
  EXPECT_EQ(r.distinct_keys(r.root()), 2u);
  EXPECT_EQ(r.first_key(r.root()), "id");
}

TEST(JsonRecord, EscapedKeysAndStringsAreUnescaped) {
  Record r;
  ASSERT_TRUE(r.parse(R"({"\u0069d":"caf\u00e9 \ud83d\ude00"})"));
  EXPECT_EQ(r.string(r.get(r.root(), "id")), "caf\xC3\xA9 \xF0\x9F\x98\x80");
}

TEST(JsonRecord, IntegersPrintAsNumericDoesOtherNumbersAreMarked) {
  Record r;
  ASSERT_TRUE(r.parse(R"([0, -0, 7, -12, 9223372036854775807, 18446744073709551615, 1.0, 1e2, -0.0])"));
  std::vector<Record::Node> e = r.elements(r.root());
  ASSERT_EQ(e.size(), 9u);
  std::vector<std::string> ints;
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(r.kind(e[i]), Kind::kInteger) << i;
    ints.push_back(r.integer_text(e[i]));
  }
  EXPECT_EQ(ints, (std::vector<std::string>{"0", "0", "7", "-12", "9223372036854775807", "18446744073709551615"}));
  for (int i = 6; i < 9; ++i) EXPECT_EQ(r.kind(e[i]), Kind::kOtherNumber) << i;
}

TEST(JsonRecord, RefusesWhatItCouldReadApartFromJsonb) {
  Record r;
  EXPECT_FALSE(r.parse(R"({"a":"\u0000"})"));
  EXPECT_FALSE(r.parse(R"({"a":1e400})"));                   // beyond a double; numeric takes it
  EXPECT_FALSE(r.parse(std::string(2000, '[') + std::string(2000, ']')));  // deeper than simdjson goes
  EXPECT_FALSE(r.parse(std::string("\"") + std::string(Record::kMaxText, 'a') + "\""));
  EXPECT_FALSE(r.parse("{\"a\":\"\xff\"}"));                 // not UTF-8
  EXPECT_FALSE(r.parse(R"({"a":1} x)"));
  EXPECT_FALSE(r.parse(""));
  // And reads again after a refusal.
  ASSERT_TRUE(r.parse(R"({"a":[true,null,"s",{}]})"));
  std::vector<Record::Node> e = r.elements(r.get(r.root(), "a"));
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(r.kind(e[0]), Kind::kBoolean);
  EXPECT_TRUE(r.boolean(e[0]));
  EXPECT_EQ(r.kind(e[1]), Kind::kNull);
  EXPECT_EQ(r.kind(e[2]), Kind::kString);
  EXPECT_EQ(r.kind(e[3]), Kind::kObject);
  EXPECT_TRUE(r.elements(e[3]).empty());
}

TEST(JsonRecord, ArrayLengthVouchesOnlyForWhatJsonbTakesAlike) {
  Record r;
  EXPECT_EQ(r.array_length("[]"), 0L);
  EXPECT_EQ(r.array_length(R"( [1, "a,b", {"k": [1, 2]}, [[]], null] )"), 5L);
  EXPECT_EQ(r.array_length(R"({"a": 1})"), -1L);
  EXPECT_EQ(r.array_length("7"), -1L);
  EXPECT_EQ(r.array_length(R"(["\u0000"])"), std::nullopt);        // jsonb's parser decides (and refuses)
  EXPECT_EQ(r.array_length(R"(["\ud800"])"), std::nullopt);
  EXPECT_EQ(r.array_length("[1e5]"), std::nullopt);                   // may be beyond numeric: the parser checks
  EXPECT_EQ(r.array_length("[0." + std::string(17000, '1') + "]"), std::nullopt);
  EXPECT_EQ(r.array_length("[1,]"), std::nullopt);                    // not JSON: the parser words the error
  EXPECT_EQ(r.array_length(std::string(1100, '[') + std::string(1100, ']')), std::nullopt);
  // A chunk larger than one record's limit is counted, and reading goes on.
  std::string big = "[";
  for (int i = 0; i < 300000; ++i) big += i ? ",\"abc\"" : "\"abc\"";
  big += "]";
  ASSERT_GT(big.size(), Record::kMaxText);
  EXPECT_EQ(r.array_length(big), 300000L);
  ASSERT_TRUE(r.parse(R"({"a": 2})"));
  EXPECT_EQ(r.integer_text(r.get(r.root(), "a")), "2");
}

}  // namespace

// pulse-gateway's request parsing (loaders/gateway/request.*) and token
// hashing (tokens.h): routes, headers, bodies cut into records, answers.
#include <gtest/gtest.h>

#include "core/json_scan.h"
#include "gateway/request.h"
#include "gateway/tokens.h"

using namespace pulse::gateway;

TEST(GatewayRoute, RecordsHealthMetricsAndTheRest) {
  Route r = route("POST", "/v1/streams/candles:upbit:KRW-BTC:1m/records");
  EXPECT_EQ(r.kind, RouteKind::kRecords);
  EXPECT_EQ(r.stream, "candles:upbit:KRW-BTC:1m");
  EXPECT_TRUE(r.method_ok);
  EXPECT_FALSE(route("GET", "/v1/streams/s/records").method_ok);
  EXPECT_EQ(route("GET", "/healthz").kind, RouteKind::kHealth);
  EXPECT_TRUE(route("HEAD", "/metrics").method_ok);
  EXPECT_FALSE(route("POST", "/metrics").method_ok);
  for (const char* p : {"/v1/streams//records", "/v1/streams/a/b/records", "/v1/streams/-a/records",
                        "/v1/streams/a%2Fb/records", "/v1/streams/records", "/v1/streams/a/records/", "/"})
    EXPECT_EQ(route("POST", p).kind, RouteKind::kNotFound) << p;
  EXPECT_TRUE(valid_stream(std::string(200, 'a')));
  EXPECT_FALSE(valid_stream(std::string(201, 'a')));
  EXPECT_FALSE(valid_stream("caf\xc3\xa9"));
}

TEST(GatewayHeaders, BearerKeysAndContentTypes) {
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_EQ(bearer_token("bearer   abc  "), "abc");
  EXPECT_FALSE(bearer_token("Basic abc"));
  EXPECT_FALSE(bearer_token("Bearer"));
  EXPECT_FALSE(bearer_token("Bearer a b"));
  EXPECT_FALSE(bearer_token("Bearerabc"));
  EXPECT_TRUE(valid_idempotency_key("order-7"));
  EXPECT_FALSE(valid_idempotency_key(""));
  EXPECT_FALSE(valid_idempotency_key("a\nb"));
  EXPECT_EQ(body_kind("application/json", true), BodyKind::kArray);
  EXPECT_EQ(body_kind("Application/JSON; charset=UTF-8", true), BodyKind::kArray);
  EXPECT_EQ(body_kind("application/x-ndjson", true), BodyKind::kLines);
  EXPECT_EQ(body_kind("", false), BodyKind::kSniff);
  EXPECT_EQ(body_kind("application/json; charset=latin1", true), BodyKind::kUnsupported);
  EXPECT_EQ(body_kind("text/plain", true), BodyKind::kUnsupported);
  EXPECT_TRUE(known_format("json"));
  EXPECT_TRUE(known_format("twitter_v2"));
  EXPECT_FALSE(known_format("csv"));
}

namespace {
std::vector<Item> parse(BodyKind k, std::string_view body, size_t max_record = 1 << 20) {
  BodyParser p(k, BodyLimits{max_record});
  for (char c : body) p.feed(std::string_view(&c, 1));  // byte by byte: chunking must not matter
  p.finish();
  return std::move(p.items());
}
}  // namespace

TEST(GatewayBody, ArrayElementsOneByOne) {
  auto items = parse(BodyKind::kArray, R"([{"a":1}, {bad}, "x", {"z":"\u0000"}])");
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].payload, R"({"a":1})");
  EXPECT_TRUE(items[0].reject.empty());
  EXPECT_NE(items[1].reject.find("invalid JSON"), std::string::npos);
  EXPECT_TRUE(items[1].payload.empty());
  EXPECT_EQ(items[2].payload, " \"x\"");
  EXPECT_FALSE(items[3].note.empty());
  EXPECT_EQ(items[3].payload.find("\\u0000"), std::string::npos);
}

TEST(GatewayBody, OneObjectLinesSniffingAndLimits) {
  auto one = parse(BodyKind::kArray, "\xEF\xBB\xBF {\n \"pretty\": true\n}\n");
  ASSERT_EQ(one.size(), 1u);
  EXPECT_TRUE(one[0].reject.empty()) << one[0].reject;
  auto lines = parse(BodyKind::kLines, "[1]\n\n{\"b\":2}\r\n{oops");
  ASSERT_EQ(lines.size(), 3u);  // a line starting with [ is a record, not an array
  EXPECT_EQ(lines[0].payload, "[1]");
  EXPECT_FALSE(lines[2].reject.empty());
  EXPECT_EQ(parse(BodyKind::kSniff, "[1,2]").size(), 2u);
  EXPECT_EQ(parse(BodyKind::kSniff, "1\n2\n3\n").size(), 3u);
  EXPECT_TRUE(parse(BodyKind::kArray, "").empty());
  auto big = parse(BodyKind::kArray, "[\"" + std::string(100, 'x') + "\", 1]", 50);
  ASSERT_EQ(big.size(), 2u);
  EXPECT_NE(big[0].reject.find("longer than the limit of 50"), std::string::npos);
  EXPECT_LE(big[0].raw.size(), 50u);
  EXPECT_TRUE(big[1].reject.empty());
  auto single = parse(BodyKind::kArray, "{\"p\":\"" + std::string(100, 'y') + "\"}", 50);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_FALSE(single[0].reject.empty());
}

TEST(GatewayAnswer, CountsSeqsAndErrorsInOrder) {
  std::string a = response_json({{7, "", ""}, {0, "bad \"one\"", ""}, {5, "", "cleaned"}});
  EXPECT_TRUE(pulse::load::is_valid_json(a));
  EXPECT_EQ(a, R"({"accepted":2,"rejected":1,"first_seq":5,"last_seq":7,"records":[{"seq":7},{"error":"bad \"one\""},{"seq":5,"note":"cleaned"}]})");
  EXPECT_EQ(response_json({}), R"({"accepted":0,"rejected":0,"first_seq":null,"last_seq":null,"records":[]})");
}

TEST(GatewayTokens, Sha256MatchesPostgres) {
  // SELECT encode(sha256('abc'), 'hex') in PostgreSQL (FIPS 180-2's example).
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Stream s;
  s.update("a");
  s.update("bc");
  EXPECT_EQ(hex(s.digest()), hex(sha256("abc")));
}

// Pure parts of the tweet sources: X's rate-limit headers, id ordering,
// checkpoints.
#include <gtest/gtest.h>

#include <chrono>

#include "sources/x_common.h"

using namespace pulse::load;

TEST(XCommon, RateLimitWaitsOnlyWhenExhausted) {
  auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  HttpResponse r;
  EXPECT_EQ(x::rate_limit_wait(r, now).count(), 0);  // no headers
  r.headers = {{"x-rate-limit-remaining", "3"}, {"x-rate-limit-reset", "1700000100"}};
  EXPECT_EQ(x::rate_limit_wait(r, now).count(), 0);
  r.headers = {{"X-Rate-Limit-Remaining", "0"}, {"x-rate-limit-reset", "1700000100"}};
  EXPECT_EQ(x::rate_limit_wait(r, now).count(), 101000);  // until the reset, plus a second
  r.headers = {{"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", "1699999999"}};
  EXPECT_EQ(x::rate_limit_wait(r, now).count(), 0);  // a second past: the margin is over
  // Passed on our clock a moment ago (whole seconds): the margin still holds.
  r.headers = {{"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", "1700000000"}};
  EXPECT_EQ(x::rate_limit_wait(r, now + std::chrono::milliseconds(300)).count(), 700);
  EXPECT_EQ(x::rate_limit_wait(r, now + std::chrono::milliseconds(1000)).count(), 0);
  r.headers = {{"x-rate-limit-remaining", "0"}, {"x-rate-limit-reset", "soon"}};
  EXPECT_EQ(x::rate_limit_wait(r, now).count(), 0);
}

TEST(XCommon, IdsCompareAsNumbers) {
  EXPECT_EQ(x::max_id("999", "1000"), "1000");
  EXPECT_EQ(x::max_id("1578516068309794817", "1578515564971970560"), "1578516068309794817");
  EXPECT_EQ(x::max_id("9223372036854775807", "9223372036854775806"), "9223372036854775807");
}

TEST(XCommon, SinceIdCheckpoints) {
  EXPECT_EQ(x::since_id_checkpoint("123"), "{\"since_id\":\"123\"}");
  EXPECT_EQ(x::checkpoint_since_id(std::string("{\"since_id\":\"123\"}")), std::optional<std::string>("123"));
  EXPECT_FALSE(x::checkpoint_since_id(std::nullopt));
  EXPECT_FALSE(x::checkpoint_since_id(std::string("{}")));
  EXPECT_FALSE(x::checkpoint_since_id(std::string("{\"since_id\":\"12a\"}")));
  EXPECT_FALSE(x::checkpoint_since_id(std::string("{\"file\":\"x\",\"records\":3}")));
}

TEST(XCommon, StringMembers) {
  std::string page = R"({"data":[],"meta":{"newest_id":"15","next_token":"b26v","result_count":10}})";
  auto meta = x::string_member(page, "meta");
  EXPECT_FALSE(meta.has_value());  // an object, not a string
  EXPECT_EQ(x::string_member(R"({"newest_id":"15","result_count":10})", "newest_id"), std::optional<std::string>("15"));
  EXPECT_EQ(x::string_member(R"({"result_count":10})", "result_count"), std::optional<std::string>("10"));
  EXPECT_FALSE(x::string_member("not json", "id").has_value());
}

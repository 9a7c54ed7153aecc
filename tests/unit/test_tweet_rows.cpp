// The tweet projections' rules that need no JSON (extension/core/tweet_rows.h).
#include <gtest/gtest.h>

#include <string>

#include "core/tweet_rows.h"

using namespace pulse::tweet;

namespace {

// A timestamptz from a UTC date and time.
int64_t at(int64_t days_since_1970, int64_t seconds, int64_t micros = 0) {
  return from_unix_micros((days_since_1970 * 86400 + seconds) * 1000000 + micros);
}

const Wording kV2{"data", "tweet", "id"};
const Wording kV1{"statuses", "status", "id_str or id"};

std::string never() {
  ADD_FAILURE() << "JSON text asked for a reason that does not print it";
  return "";
}

ItemFacts good_tweet() {
  ItemFacts f;
  f.seq = 3;
  f.ord = 2;
  f.type = "object";
  f.id = 1578516068309794817;
  f.has_created_at = true;
  f.payload_time = snowflake_time(1578516068309794817);
  f.created_at = f.payload_time;
  f.stated_key = "__twarc.retrieved_at";
  f.received_at = *f.created_at + 3600LL * 1000000;
  return f;
}

}  // namespace

TEST(TweetRows, SnowflakeTime) {
  // 1578516068309794817 encodes 2022-10-07T22:42:12.xxx; to the second.
  EXPECT_EQ(format_ts(*snowflake_time(1578516068309794817)), "2022-10-07T22:42:12.000Z");
  EXPECT_FALSE(snowflake_time(20));
  EXPECT_FALSE(snowflake_time(kSnowflakeMin - 1));
  EXPECT_EQ(format_ts(*snowflake_time(kSnowflakeMin)), "2010-11-05T01:42:54.000Z");
  EXPECT_EQ(format_ts(*snowflake_time(INT64_MAX)), "2080-07-10T17:30:30.000Z");
}

TEST(TweetRows, FormatTs) {
  EXPECT_EQ(format_ts(0), "2000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_ts(-1), "1999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_ts(at(0, 0, 123999)), "1970-01-01T00:00:00.123Z");
  EXPECT_EQ(format_ts(at(19000, 86399)), "2022-01-08T23:59:59.000Z");
  EXPECT_EQ(format_ts(kNoEnd), "");
  EXPECT_EQ(format_ts(kNoBegin), "");
  // the ends of timestamptz's range ('294276-12-31 23:59:59.999999+00',
  // '4714-11-24 00:00:00+00 BC')
  EXPECT_EQ(format_ts(9223371331199999999), "294276-12-31T23:59:59.999Z");
  EXPECT_EQ(format_ts(-211813488000000000), "4714-11-24T00:00:00.000Z");
  // five-digit years print whole
  EXPECT_EQ(format_ts(at(3000000, 0)), "10183-09-21T00:00:00.000Z");
}

TEST(TweetRows, EpochMs) {
  EXPECT_EQ(epoch_ms_number("1562975312221"), at(0, 1562975312, 221000));
  EXPECT_EQ(epoch_ms_number("1562975312221.000"), at(0, 1562975312, 221000));
  EXPECT_FALSE(epoch_ms_number("1562975312221.5"));
  EXPECT_FALSE(epoch_ms_number("-1"));
  EXPECT_EQ(epoch_ms_number("0"), at(0, 0));
  EXPECT_EQ(epoch_ms_number("999999999999999"), at(0, 999999999999, 999000));
  EXPECT_FALSE(epoch_ms_number("1000000000000000"));
  EXPECT_FALSE(epoch_ms_number(""));
  EXPECT_EQ(epoch_ms_string("0001562975312221"), std::nullopt);  // 16 characters
  EXPECT_EQ(epoch_ms_string("001562975312221"), at(0, 1562975312, 221000));
  EXPECT_FALSE(epoch_ms_string("15629753.5"));
  EXPECT_FALSE(epoch_ms_string(""));
  EXPECT_FALSE(epoch_ms_string("+5"));
}

TEST(TweetRows, UsableTweetHasNoProblem) {
  EXPECT_FALSE(item_problem(good_tweet(), kV2, never, never));
}

TEST(TweetRows, ProblemsInOrder) {
  ItemFacts f = good_tweet();
  f.type = "string";
  EXPECT_EQ(*item_problem(f, kV2, never, never), "landing seq 3, data[2]: a JSON string, not a tweet object");
  f = good_tweet();
  f.id.reset();
  EXPECT_EQ(*item_problem(f, kV1, never, never),
            "landing seq 3, statuses[2]: no usable id_str or id (a decimal 64-bit integer)");
  f = good_tweet();
  f.payload_time.reset();
  EXPECT_EQ(*item_problem(f, kV2, [] { return std::string("\"yesterday\""); }, never),
            "landing seq 3, data[2]: tweet 1578516068309794817 has an unreadable created_at \"yesterday\"");
  f = good_tweet();
  f.id = 20;
  f.has_created_at = false;
  f.payload_time.reset();
  f.created_at.reset();
  EXPECT_EQ(*item_problem(f, kV2, never, never),
            "landing seq 3, data[2]: tweet 20 has no created_at and its id is not a snowflake");
  f.created_at = f.payload_time = *snowflake_time(kSnowflakeMin);
  f.has_created_at = true;
  EXPECT_EQ(*item_problem(f, kV2, never, never),
            "landing seq 3, data[2]: tweet 20 has an id from before snowflake ids (2010) but claims created_at "
            "2010-11-05T01:42:54.000Z");
  f.created_at = f.payload_time = *f.created_at - 1;
  EXPECT_FALSE(item_problem(f, kV2, never, never));
  f = good_tweet();
  f.stated = true;
  EXPECT_EQ(*item_problem(f, kV2, never, [] { return std::string("5"); }),
            "landing seq 3, data[2]: tweet 1578516068309794817 has an unreadable __twarc.retrieved_at 5");
  f.observed_at = f.received_at + 60 * 1000000;  // a minute after landing: still fine
  EXPECT_FALSE(item_problem(f, kV2, never, never));
  f.observed_at = *f.observed_at + 1;
  EXPECT_EQ(*item_problem(f, kV2, never, never),
            "landing seq 3, data[2]: tweet 1578516068309794817 says it was observed (__twarc.retrieved_at "
            "2022-10-07T23:43:12.000Z) after it landed (2022-10-07T23:42:12.000Z)");
  f = good_tweet();
  f.received_at = *f.created_at - 60 * 1000000 - 1;
  EXPECT_EQ(*item_problem(f, kV2, never, never),
            "landing seq 3, data[2]: tweet 1578516068309794817 was created (2022-10-07T22:42:12.000Z, from its "
            "snowflake id) more than a minute after it was observed (2022-10-07T22:41:11.999Z)");
  f.received_at = kNoEnd;
  EXPECT_FALSE(item_problem(f, kV2, never, never));
  f.received_at = kNoBegin;
  EXPECT_EQ(*item_problem(f, kV2, never, never),
            "landing seq 3, data[2]: tweet 1578516068309794817 was created (2022-10-07T22:42:12.000Z, from its "
            "snowflake id) more than a minute after it was observed ()");
}

TEST(TweetRows, Note) {
  const int64_t id = 1578516068309794817;
  const auto id_time = snowflake_time(id);
  EXPECT_FALSE(item_note(1, 0, id, *id_time + 1000000, id_time, kV2));
  EXPECT_FALSE(item_note(1, 0, id, *id_time - 1000000, id_time, kV2));
  EXPECT_FALSE(item_note(1, 0, 20, *id_time, std::nullopt, kV2));
  EXPECT_EQ(*item_note(1, 0, id, *id_time + 1000001, id_time, kV1),
            "landing seq 1, statuses[0]: status 1578516068309794817 claims created_at 2022-10-07T22:42:13.000Z but "
            "its snowflake id encodes 2022-10-07T22:42:12.000Z; stored with the id's time");
  EXPECT_EQ(record_problem(7, "not a twitter_v2 record: a JSON array, not an object"),
            "landing seq 7: not a twitter_v2 record: a JSON array, not an object");
}

// Unit tests for coverage bookkeeping (loaders/core/coverage.h): span
// merging, subject names, --covers, snowflake and HTTP Date times; the
// batcher carrying coverage; the X sources' clock and tweet event times.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/batch.h"
#include "core/cli.h"
#include "core/coverage.h"
#include "sources/x_common.h"

using namespace pulse::load;

namespace {
CoverageSpan span(int64_t lo, int64_t hi, bool closed = false, const char* subject = "tweets") {
  return CoverageSpan{subject, lo, hi, closed};
}
}  // namespace

TEST(Coverage, PeriodLabelsLikeSql) {
  EXPECT_EQ(period_label(60), "1m");
  EXPECT_EQ(period_label(180), "3m");
  EXPECT_EQ(period_label(900), "15m");
  EXPECT_EQ(period_label(3600), "1h");
  EXPECT_EQ(period_label(7200), "2h");
  EXPECT_EQ(period_label(5400), "90m");
  EXPECT_EQ(period_label(86400), "1d");
  EXPECT_EQ(period_label(90000), "25h");
  EXPECT_EQ(period_label(45), "45s");
  EXPECT_EQ(candle_subject("upbit", "KRW-BTC", 60000), "candles/upbit/KRW-BTC/1m");
  EXPECT_EQ(candle_subject("binance", "BTCUSDT", 3600000), "candles/binance/BTCUSDT/1h");
}

TEST(Coverage, MergesSpansOfASubject) {
  std::vector<CoverageSpan> v;
  merge_coverage(v, span(10, 20));
  merge_coverage(v, span(10, 30));  // a stream extending its connection's span
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], span(10, 30));
  merge_coverage(v, span(30, 40));  // touching
  EXPECT_EQ(v, std::vector<CoverageSpan>{span(10, 40)});
  merge_coverage(v, span(50, 60));  // apart
  merge_coverage(v, span(5, 8, false, "candles/upbit/KRW-BTC/1m"));
  ASSERT_EQ(v.size(), 3u);
  merge_coverage(v, span(35, 55));  // bridges two
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[1], span(10, 60));
  merge_coverage(v, span(60, 60, true));  // closed at the end it touches
  EXPECT_EQ(v[1], span(10, 60, true));
  merge_coverage(v, span(20, 20));  // empty: dropped
  merge_coverage(v, span(30, 25));
  EXPECT_EQ(v.size(), 2u);
}

TEST(Coverage, ParsesCovers) {
  EXPECT_EQ(parse_covers("none").mode, CoversArg::Mode::kNone);
  CoversArg c = parse_covers("2024-03-11..2024-03-12T00:00:00Z");
  EXPECT_EQ(c.mode, CoversArg::Mode::kRange);
  EXPECT_EQ(c.from_ms, 1710115200000);
  EXPECT_EQ(c.until_ms, 1710201600000);
  c = parse_covers("2024-03-11T09:00+09:00..2024-03-11T00:00:00.500Z");
  EXPECT_EQ(c.from_ms, 1710115200000);
  EXPECT_EQ(c.until_ms, 1710115200500);
  for (const char* bad : {"", "all", "2024-03-11", "2024-03-12..2024-03-11", "2024-03-11..2024-03-11",
                          "..2024-03-11", "2024-03-11..", "2024-03-11..2024-03-12..2024-03-13", "2024-02-30..2024-03-01"}) {
    EXPECT_THROW(parse_covers(bad), UsageError) << bad;
  }
  try {
    parse_covers("soon");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--covers"), std::string::npos);
  }
}

TEST(Coverage, SnowflakeTimesToTheSecond) {
  // 1766977437527633921: created 2024-03-11T00:00:24.616Z (the sample's first tweet)
  EXPECT_EQ(snowflake_time_ms("1766977437527633921"), 1710115224000);
  EXPECT_EQ(snowflake_time_ms("362387865600000"), 1288921374000);  // the first id read as a time: a day after the epoch
  EXPECT_FALSE(snowflake_time_ms("362387865599999"));                     // before snowflakes
  EXPECT_FALSE(snowflake_time_ms("20"));
  EXPECT_FALSE(snowflake_time_ms("12a"));
  EXPECT_FALSE(snowflake_time_ms(""));
  EXPECT_FALSE(snowflake_time_ms("99999999999999999999"));
}

TEST(Coverage, HttpDates) {
  EXPECT_EQ(parse_http_date("Mon, 11 Mar 2024 00:00:00 GMT"), 1710115200000);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777000);
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT trailing"));
}

TEST(Coverage, BatcherCarriesCoverageWithoutRecords) {
  Batcher b(BatchLimits{});
  auto now = std::chrono::steady_clock::now();
  EXPECT_FALSE(b.pending());
  b.add_coverage(span(5, 5));  // empty: nothing to write
  EXPECT_FALSE(b.pending());
  b.add_coverage(span(0, 60000));  // a quiet minute is news too
  EXPECT_TRUE(b.pending());
  Batch first = b.take();
  EXPECT_TRUE(first.records.empty());
  EXPECT_EQ(first.coverage, std::vector<CoverageSpan>{span(0, 60000)});
  b.add(Record{"twitter_v2", "{}", ""}, now);
  b.add_coverage(span(60000, 90000));
  b.add_coverage(span(60000, 120000));
  Batch second = b.take();
  EXPECT_EQ(second.records.size(), 1u);
  EXPECT_EQ(second.coverage, std::vector<CoverageSpan>{span(60000, 120000)});
  EXPECT_TRUE(b.take().coverage.empty());
}

TEST(XCoverage, TweetEventTimes) {
  using x::tweet_event_times;
  std::string line = R"({"data":{"id":"1766977437527633921","text":"a"},"includes":{"tweets":[{"id":"1"}]}})";
  EXPECT_EQ(tweet_event_times(line), std::vector<int64_t>{1710115224000});
  std::string page = R"({"data":[{"id":"1766977437527633921"},{"id":"20","created_at":"2006-03-21T20:50:14.000Z"}],"meta":{}})";
  EXPECT_EQ(tweet_event_times(page), (std::vector<int64_t>{1710115224000, 1142974214000}));
  std::string v1 = R"({"id":20,"id_str":"20","created_at":"Tue Mar 21 20:50:14 +0000 2006","text":"x"})";
  EXPECT_EQ(tweet_event_times(v1), std::vector<int64_t>{1142974214000});
  EXPECT_TRUE(tweet_event_times(R"({"meta":{"result_count":0}})").empty());
  EXPECT_TRUE(tweet_event_times("not json").empty());
  EXPECT_TRUE(tweet_event_times(R"({"errors":[{"title":"operational-disconnect"}]})").empty());
  // The in-place scan and the jansson fallback read alike: escapes in the
  // id or in a key, numeric ids, duplicate keys (the last wins, as in jsonb).
  EXPECT_EQ(tweet_event_times(R"({"data":{"id":"1766977437527633921"}})"), std::vector<int64_t>{1710115224000});
  EXPECT_EQ(tweet_event_times(R"({"data":{"id":"1766977437527633921"}})"), std::vector<int64_t>{1710115224000});
  EXPECT_EQ(tweet_event_times(R"({"id":1766977437527633921,"text":"x"})"), std::vector<int64_t>{1710115224000});
  EXPECT_EQ(tweet_event_times(R"({"id":20,"created_at":"2006-03-21T20:50:14.000Z","text":"x"})"),
            std::vector<int64_t>{1142974214000});
  EXPECT_EQ(tweet_event_times(R"({"data":{"id":"1","id":"1766977437527633921"}})"), std::vector<int64_t>{1710115224000});
  EXPECT_EQ(tweet_event_times(R"( {"data":[{"id":"1766977437527633921"}, 7, null, {"id":null}]} )"),
            std::vector<int64_t>{1710115224000});
  EXPECT_EQ(tweet_event_times(R"({"text":"x","created_at":"Tue Mar 21 20:50:14 +0000 2006"})"),
            std::vector<int64_t>{1142974214000});
  EXPECT_TRUE(tweet_event_times(R"({"data":null,"text":"x","id":"1766977437527633921"})").empty());
  // A number jsonb keeps but a double cannot hold does not hide the tweet's
  // time (jansson alone refused the whole record).
  EXPECT_EQ(tweet_event_times(R"({"data":{"id":"1766977437527633921","public_metrics":{"like_count":1e400}}})"),
            std::vector<int64_t>{1710115224000});
}

TEST(XCoverage, ServerClockLiveOrReplay) {
  x::ServerClock clock;
  int64_t before = x::wall_now_ms();
  EXPECT_FALSE(clock.replay());
  EXPECT_GE(clock.now(), before);
  clock.observe_date(before - 1000);  // a live server: ours
  EXPECT_FALSE(clock.replay());
  clock.observe_date(1710115200000);  // a recording from 2024: its time
  EXPECT_TRUE(clock.replay());
  EXPECT_EQ(clock.now(), 1710115200000);
  clock.observe_event(1710115224000);  // delivered: its time has come
  EXPECT_EQ(clock.now(), 1710115224000);
  clock.observe_event(1710115000000);  // never backwards
  clock.observe_date(1710115100000);
  EXPECT_EQ(clock.now(), 1710115224000);
  clock.observe_event(before + 3600000);  // never past our own clock
  EXPECT_LE(clock.now(), x::wall_now_ms());
  clock.observe_date(std::nullopt);
  EXPECT_TRUE(clock.replay());
}

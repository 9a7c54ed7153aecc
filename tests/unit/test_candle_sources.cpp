// Unit tests for the candle sources: time arguments, request URLs, and how
// each exchange's response splits into landing records with the raw bytes.
#include <gtest/gtest.h>

#include "core/json_scan.h"
#include "sources/candles.h"

using namespace pulse::load;

TEST(CandleTime, ParsesIsoAndEpochMs) {
  EXPECT_EQ(parse_time_arg("since", "2020-02-20T11:19:00Z"), 1582197540000);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20T20:19:00+09:00"), 1582197540000);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20 11:19"), 1582197540000);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20"), 1582156800000);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20T11:19:00.250Z"), 1582197540250);
  EXPECT_EQ(parse_time_arg("since", "1582197540000"), 1582197540000);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20T11:19:00.5"), 1582197540500);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20T11:19:00.123456789Z"), 1582197540123);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20T20:49+0930"), 1582197540000);
  EXPECT_EQ(parse_time_arg("since", "2020-02-20T06:19:00-05:00"), 1582197540000);
  EXPECT_EQ(parse_time_arg("since", "2020-02-29"), 1582934400000);
  EXPECT_EQ(parse_time_arg("since", "1234567890"), 1234567890);
  EXPECT_EQ(parse_time_arg("since", "12345678901234"), 12345678901234);
  for (const char* bad : {"", "yesterday", "2020-13-01", "2021-02-30", "2020-02-20T25:00", "2020-02-20T11:19:00+25:00",
                          "20200220", "2020-02-20T11:19:00ZZ", "2020-02-20T11:19:00.1234567891Z",
                          "2020-02-20T11:19:00.Z", "2020-02-20T11:19:00+09", "2020-02-20T11", "2020-02-20T11:19:0a",
                          "123456789", "123456789012345", "2020-02-20T11:19:00 ", " 2020-02-20", "2020-2-20",
                          "2020-02-20T11:19:00+0960", "2020-02-20T11:19.5"}) {
    EXPECT_THROW(parse_time_arg("since", bad), UsageError) << bad;
  }
  try {
    parse_time_arg("until", "nope");
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--until"), std::string::npos);
  }
  EXPECT_EQ(format_utc(1582197540000), "2020-02-20T11:19:00Z");
  EXPECT_EQ(parse_utc_naive("2020-02-20T11:19:00").value_or(0), 1582197540000);
  EXPECT_FALSE(parse_utc_naive("2020-02-20T11:19"));
  EXPECT_EQ(parse_utc_naive("2020-02-20 11:19:00").value_or(0), 1582197540000);
  for (const char* bad : {"2020-02-20T11:19:00Z", "2020-13-20T11:19:00", "2020-02-20T24:00:00", "2020-02-20T11:19:0x",
                          "2020-02-20X11:19:00", "02020-02-20T11:19:00", ""})
    EXPECT_FALSE(parse_utc_naive(bad)) << bad;
}

TEST(CandleSources, UrlsFollowTheDocumentedPaths) {
  CandleParams p;
  p.market = "KRW-BTC";
  p.period = "1m";
  p.period_ms = 60000;
  EXPECT_EQ(make_upbit()->page_url(p, 1582197540000, std::nullopt, 200),
            "https://api.upbit.com/v1/candles/minutes/1?market=KRW-BTC&count=200&to=2020-02-20T11%3A19%3A00Z");
  EXPECT_EQ(make_coinone()->page_url(p, 1582197540000, std::nullopt, 200),
            "https://api.coinone.co.kr/public/v2/chart/KRW/BTC?interval=1m&size=200&timestamp=1582197539999");
  p.market = "BTCUSDT";
  p.period = "1h";
  p.period_ms = 3600000;
  EXPECT_EQ(make_binance()->page_url(p, 1000, 5000, 1000),
            "https://api.binance.com/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=1000&startTime=1000&endTime=4999");
  p.market = "KRW-BTC";
  EXPECT_EQ(make_upbit()->page_url(p, std::nullopt, std::nullopt, 5),
            "https://api.upbit.com/v1/candles/minutes/60?market=KRW-BTC&count=5");
}

TEST(CandleSources, MarketNames) {
  EXPECT_NO_THROW(make_upbit()->validate_market("KRW-BTC"));
  EXPECT_THROW(make_upbit()->validate_market("krw-btc"), UsageError);
  EXPECT_THROW(make_upbit()->validate_market("KRW-BTC&x=1"), UsageError);
  EXPECT_NO_THROW(make_binance()->validate_market("BTCUSDT"));
  EXPECT_THROW(make_binance()->validate_market("BTC/USDT"), UsageError);
  EXPECT_NO_THROW(make_coinone()->validate_market("KRW-XRP"));
  EXPECT_THROW(make_coinone()->validate_market("XRP"), UsageError);
  // The exact shapes: 2-5 capitals, a dash, 1-15 capitals or digits; a
  // symbol of 2-30 capitals or digits.
  for (const char* ok : {"KR-B", "KRWAB-BTC", "KRW-1INCH", "KRW-ABCDEFGHIJKLMNO"}) EXPECT_TRUE(is_dashed_market(ok)) << ok;
  for (const char* bad : {"K-BTC", "KRWABC-BTC", "KRW-", "-BTC", "KRW-ABCDEFGHIJKLMNOP", "KRW-BTC-X", "KR1-BTC",
                          "KRW-btc", "KRW_BTC", "", "KRW-BTC\n"})
    EXPECT_FALSE(is_dashed_market(bad)) << bad;
  for (const char* ok : {"BT", "BTCUSDT", "1INCHUSDT", "ABCDEFGHIJKLMNOPQRSTUVWXYZ1234"}) EXPECT_TRUE(is_symbol_market(ok)) << ok;
  for (const char* bad : {"B", "ABCDEFGHIJKLMNOPQRSTUVWXYZ12345", "btcusdt", "BTC-USDT", ""})
    EXPECT_FALSE(is_symbol_market(bad)) << bad;
}

TEST(CandleSources, BucketTimesReadFromRecordText) {
  EXPECT_EQ(record_element_integer(R"([1624559520000,"1"])", 0).value_or(-1), 1624559520000);
  EXPECT_EQ(record_element_integer(R"([1624559520000,"1"])", 1), std::nullopt);  // a string
  EXPECT_EQ(record_element_integer(R"([1.5])", 0), std::nullopt);
  EXPECT_EQ(record_element_integer(R"([18446744073709551615])", 0), std::nullopt);  // beyond int64
  EXPECT_EQ(record_element_integer(R"([])", 0), std::nullopt);
  EXPECT_EQ(record_element_integer(R"({"0":1})", 0), std::nullopt);
  EXPECT_EQ(record_element_integer(R"([1,)", 0), std::nullopt);  // not JSON
  RecordMember m = record_member(R"({"timestamp":"1686787200000","timestamp":1686787260000})", "timestamp");
  EXPECT_EQ(m.integer.value_or(-1), 1686787260000);  // the last of a repeated key
  EXPECT_FALSE(m.string);
  m = record_member(R"({"candle_date_time_utc":"2020-02-20T11:19:00"})", "candle_date_time_utc");
  EXPECT_EQ(m.string.value_or(""), "2020-02-20T11:19:00");
  EXPECT_FALSE(record_member(R"({"a":1})", "b").integer);
  EXPECT_FALSE(record_member(R"([1])", "a").integer);
}

TEST(CandleSources, RecordsKeepTheBytesReceived) {
  CandleParams p;
  p.market = "KRW-BTC";
  p.period = "1m";
  std::string body =
      "[{\"candle_date_time_utc\":\"2020-02-20T11:19:00\",\"opening_price\":11509000.0,"
      "\"candle_acc_trade_price\":30279009.54681},\n {\"candle_date_time_utc\":\"2020-02-20T11:18:00\"}, 7]";
  Page page = make_upbit()->parse(p, body, 42);
  ASSERT_EQ(page.records.size(), 3u);
  EXPECT_FALSE(page.malformed);
  EXPECT_EQ(page.records[0].format, "upbit");
  EXPECT_EQ(page.records[0].payload,
            "{\"market\":\"KRW-BTC\",\"period\":\"1m\",\"observed_ms\":42,\"record\":{\"candle_date_time_utc\":"
            "\"2020-02-20T11:19:00\",\"opening_price\":11509000.0,\"candle_acc_trade_price\":30279009.54681}}");
  EXPECT_TRUE(is_valid_json(page.records[2].payload));
  EXPECT_EQ(*page.min_bucket_ms, 1582197480000);
  EXPECT_EQ(*page.max_bucket_ms, 1582197540000);

  Page bad = make_upbit()->parse(p, "{\"error\":{\"name\":\"x\"}}", 1);
  EXPECT_TRUE(bad.malformed);
  ASSERT_EQ(bad.records.size(), 1u);
  EXPECT_EQ(bad.records[0].payload, "{\"error\":{\"name\":\"x\"}}");
  EXPECT_FALSE(bad.records[0].reject_reason.empty());
}

TEST(CandleSources, BinanceAndCoinoneFraming) {
  CandleParams p;
  p.market = "BTCUSDT";
  p.period = "1m";
  Page b = make_binance()->parse(
      p, "[[1624559520000,\"34970.90000000\",\"35047.03000000\",\"34800.01000000\",\"35047.03000000\",\"0.41947200\","
         "1624559579999,\"14686.87819470\",37,\"0.41391700\",\"14492.85555020\",\"0\"]]",
      7);
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_NE(b.records[0].payload.find("\"record\":[1624559520000,\"34970.90000000\""), std::string::npos);
  EXPECT_EQ(*b.min_bucket_ms, 1624559520000);

  p.market = "KRW-BTC";
  Page c = make_coinone()->parse(
      p, "{\"result\":\"success\",\"error_code\":\"0\",\"is_last\":true,\"chart\":[{\"timestamp\":1686787200000,"
         "\"open\":\"35000000\"},{\"timestamp\":1686787140000,\"open\":\"1.10\"}]}",
      7);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_TRUE(c.last);
  EXPECT_NE(c.records[1].payload.find("\"record\":{\"timestamp\":1686787140000,\"open\":\"1.10\"}"), std::string::npos);
  Page e = make_coinone()->parse(p, "{\"result\":\"error\",\"error_code\":\"107\"}", 7);
  EXPECT_TRUE(e.malformed);
  ASSERT_EQ(e.records.size(), 1u);
  EXPECT_FALSE(e.records[0].reject_reason.empty());
}

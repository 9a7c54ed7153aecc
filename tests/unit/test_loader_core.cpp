// Unit tests for loaders/core: raw JSON framing, header parsing, backoff and
// rate-limit rules, batching, COPY escaping.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/batch.h"
#include "core/http.h"
#include "core/json_scan.h"
#include "core/pg_sink.h"

using namespace pulse::load;

TEST(JsonScan, SplitsArrayKeepingNumberBytes) {
  std::string t = " [ {\"p\": 11509000.0, \"v\": 30279009.54681}, 1e400 ,\n\"x\" ,[1,[2]], 123456789012345678901234567890 ] ";
  auto spans = split_json_array(t);
  ASSERT_EQ(spans.size(), 5u);
  EXPECT_EQ(spans[0].of(t), "{\"p\": 11509000.0, \"v\": 30279009.54681}");
  EXPECT_EQ(spans[1].of(t), "1e400");
  EXPECT_EQ(spans[2].of(t), "\"x\"");
  EXPECT_EQ(spans[3].of(t), "[1,[2]]");
  EXPECT_EQ(spans[4].of(t), "123456789012345678901234567890");
}

TEST(JsonScan, EmptyArrayAndErrors) {
  EXPECT_TRUE(split_json_array("[]").empty());
  EXPECT_TRUE(split_json_array(" [ ] ").empty());
  EXPECT_THROW(split_json_array("[1,]"), std::invalid_argument);
  EXPECT_THROW(split_json_array("[1 2]"), std::invalid_argument);
  EXPECT_THROW(split_json_array("{\"a\":1}"), std::invalid_argument);
  EXPECT_THROW(split_json_array("[1] x"), std::invalid_argument);
  EXPECT_THROW(split_json_array("[\"a]"), std::invalid_argument);
  EXPECT_THROW(split_json_array("[\"a,\"b\"]"), std::invalid_argument);
}

TEST(JsonScan, ValidatesWhatJsonbAccepts) {
  EXPECT_TRUE(is_valid_json("{\"a\":[true,false,null,-0.5e-3,\"\\u00e9\\ud83d\\ude00\"]}"));
  EXPECT_TRUE(is_valid_json("\"\xc3\xa9\""));
  EXPECT_FALSE(is_valid_json("\"\\u0000\""));          // jsonb refuses NUL
  EXPECT_FALSE(is_valid_json("\"\xff\""));             // invalid UTF-8
  EXPECT_FALSE(is_valid_json("\"\xc0\xaf\""));         // overlong
  EXPECT_FALSE(is_valid_json("\"\\ud83d\""));          // lone surrogate
  EXPECT_FALSE(is_valid_json("01"));
  EXPECT_FALSE(is_valid_json("1."));
  EXPECT_FALSE(is_valid_json("NaN"));
  EXPECT_FALSE(is_valid_json("{\"a\" 1}"));
  EXPECT_FALSE(is_valid_json("\"tab\there\""));       // raw control char
  EXPECT_FALSE(is_valid_json(""));
  EXPECT_FALSE(is_valid_json(std::string("[1]\0", 4)));
}

// json_invalid_reason lets simdjson vouch for the texts it accepts: it must
// accept none that the scanner refuses (edges of depth, escapes, numbers,
// UTF-8, white space), and say what the scanner says about the rest.
TEST(JsonScan, SimdjsonFastPathAgreesWithTheScanner) {
  std::vector<std::string> texts = {
      "{}", "[]", "0", "-0", "1e400", "-1E-400", "123456789012345678901234567890", "1.5e308", "2e308",
      "\"\\u0000\"", "\"\\\\u0000\"", "\"\\\\\\u0000\"", "\"a\\u0000b\"", "{\"\\u0000\":1}",
      "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\"", "\"\\u12\"", "\"\\x\"",
      "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe0\x80\xaf\"", "\"\xc3\"", "\xef\xbb\xbf{}",
      " \t\r\n[ 1 ,\t2 ]\r\n", "[1,]", "{\"a\":1,}", "[1] [2]", "\"\x7f\"", "\"\x1f\"", "tru", "true ", "nul",
      std::string("\"a\0b\"", 5), "[\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"]", "{\"a\":{\"a\":{\"a\":[]}}}",
  };
  for (int depth : {499, 500, 501, 502, 999, 1000, 1001, 1002}) {
    texts.push_back(std::string(static_cast<std::size_t>(depth), '[') + std::string(static_cast<std::size_t>(depth), ']'));
    texts.push_back(std::string(static_cast<std::size_t>(depth), '[') + "1" + std::string(static_cast<std::size_t>(depth), ']'));
    std::string objs;
    for (int i = 0; i < depth; ++i) objs += "{\"k\":";
    objs += "0";
    objs += std::string(static_cast<std::size_t>(depth), '}');
    texts.push_back(objs);
  }
  for (const std::string& t : texts) {
    EXPECT_EQ(json_invalid_reason(t), json_scan_reason(t)) << t.substr(0, 60);
  }
}

TEST(JsonScan, FindsTopLevelMember) {
  std::string t = "{\"result\":\"success\",\"x\":{\"chart\":1},\"chart\":[{\"open\":\"1.10\"}]}";
  auto s = find_json_member(t, "chart");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->of(t), "[{\"open\":\"1.10\"}]");
  EXPECT_FALSE(find_json_member(t, "missing"));
  EXPECT_THROW(find_json_member("[1]", "a"), std::invalid_argument);
}

TEST(JsonScan, QuoteEscapes) {
  EXPECT_EQ(json_quote("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_TRUE(is_valid_json(json_quote("KRW-BTC\t\x1f")));
}

TEST(Http, HeaderParsingKeepsOnlyFinalResponse) {
  std::vector<std::pair<std::string, std::string>> h;
  parse_header_line("HTTP/1.1 100 Continue\r\n", h);
  parse_header_line("X-Old: 1\r\n", h);
  parse_header_line("HTTP/1.1 200 OK\r\n", h);
  parse_header_line("Remaining-Req: group=candles; min=599; sec=9\r\n", h);
  parse_header_line("x-mbx-used-weight-1m:  42 \r\n", h);
  parse_header_line("\r\n", h);
  HttpResponse r;
  r.headers = h;
  EXPECT_FALSE(r.header("X-Old"));
  EXPECT_EQ(r.header("remaining-req").value_or(""), "group=candles; min=599; sec=9");
  EXPECT_EQ(r.header("X-MBX-USED-WEIGHT-1M").value_or(""), "42");
}

TEST(Http, ApiBaseReplacesSchemeHostPort) {
  EXPECT_EQ(with_api_base("https://api.upbit.com/v1/candles/minutes/1?market=KRW-BTC", "http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/v1/candles/minutes/1?market=KRW-BTC");
  EXPECT_EQ(with_api_base("https://api.upbit.com/v1/x", ""), "https://api.upbit.com/v1/x");
  EXPECT_EQ(url_encode("2020-02-20T11:19:00Z"), "2020-02-20T11%3A19%3A00Z");
}

TEST(Backoff, ExponentialCappedWithJitter) {
  Backoff b(Millis(100), Millis(1000), 2.0, true, false, 42);
  std::vector<long long> caps = {100, 200, 400, 800, 1000, 1000, 1000};
  for (long long cap : caps) {
    auto d = b.next().count();
    EXPECT_GE(d, cap / 2);
    EXPECT_LE(d, cap);
  }
  b.reset();
  EXPECT_LE(b.next().count(), 100);
  Backoff lin(Millis(250), Millis(16000), 2.0, false, true);
  EXPECT_EQ(lin.next().count(), 250);
  EXPECT_EQ(lin.next().count(), 500);
  EXPECT_EQ(lin.next().count(), 750);
}

TEST(Backoff, RetryAfterSecondsAndDate) {
  using namespace std::chrono;
  EXPECT_EQ(parse_retry_after("7")->count(), 7000);
  auto now = system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now)->count(), 10000);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now)->count(), 0);
  EXPECT_FALSE(parse_retry_after("soon"));
  EXPECT_FALSE(parse_retry_after(""));
}

TEST(Backoff, UpbitRemainingReq) {
  auto r = parse_remaining_req("group=candles; min=599; sec=0");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->group, "candles");
  EXPECT_EQ(r->min, 599);
  EXPECT_EQ(r->sec, 0);
  EXPECT_FALSE(parse_remaining_req("garbage"));
  EXPECT_FALSE(parse_remaining_req("group=x; sec=abc"));
}

TEST(Backoff, BinanceWeight) {
  auto t = std::chrono::system_clock::from_time_t(1000000040);  // 20 s into a minute
  EXPECT_EQ(binance_weight_delay(100, 6000, t).count(), 0);
  EXPECT_GT(binance_weight_delay(5000, 6000, t).count(), 0);
  EXPECT_EQ(binance_weight_delay(5900, 6000, t).count(), 40050);
}

TEST(Batcher, CutsByRowsBytesAndTime) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  Batcher b({3, 1000, std::chrono::milliseconds(500), 2});
  EXPECT_FALSE(b.pending());
  b.add({"upbit", "{}", ""}, t0);
  b.add({"upbit", "[]", ""}, t0);
  EXPECT_FALSE(b.full());
  EXPECT_FALSE(b.due(t0 + std::chrono::milliseconds(499)));
  EXPECT_TRUE(b.due(t0 + std::chrono::milliseconds(500)));
  b.add({"upbit", "1", ""}, t0);
  EXPECT_TRUE(b.full());
  b.set_checkpoint("{\"to\":1}");
  Batch out = b.take();
  EXPECT_EQ(out.records.size(), 3u);
  EXPECT_EQ(out.bytes, 5u);
  EXPECT_EQ(out.checkpoint, "{\"to\":1}");
  EXPECT_FALSE(b.pending());

  Batcher by_bytes({100, 10, std::chrono::milliseconds(500), 2});
  by_bytes.add({"binance", std::string(10, '1'), ""}, t0);
  EXPECT_TRUE(by_bytes.full());

  // A checkpoint alone is worth a (record-less) batch.
  Batcher cp_only({100, 100, std::chrono::milliseconds(0), 2});
  cp_only.set_checkpoint("{\"a\":1}");
  EXPECT_TRUE(cp_only.pending());
  EXPECT_EQ(cp_only.take().checkpoint, "{\"a\":1}");
}

namespace {
struct CountingSink : Sink {
  std::vector<size_t> sizes;
  std::vector<std::string> checkpoints;
  ApplyCounts write(const Batch& b) override {
    sizes.push_back(b.records.size());
    checkpoints.push_back(b.checkpoint);
    return {int64_t(b.records.size()), 0, 0, 0};
  }
};
}  // namespace

TEST(Pipeline, DeliversEveryRecordInOrderOfBatches) {
  CountingSink sink;
  Logger log(Logger::Format::kText, true);
  Pipeline p(sink, {10, 1 << 20, std::chrono::milliseconds(10000), 1}, log);
  for (int i = 0; i < 95; ++i) {
    p.add({"upbit", "{}", ""});
    if (i % 10 == 9) p.set_checkpoint("{\"i\":" + std::to_string(i) + "}");
  }
  p.set_checkpoint("{\"i\":94}");
  Counts c = p.finish();
  EXPECT_EQ(c.read, 95);
  EXPECT_EQ(c.inserted, 95);
  size_t total = 0;
  for (auto s : sink.sizes) total += s;
  EXPECT_EQ(total, 95u);
  EXPECT_EQ(sink.checkpoints.back(), "{\"i\":94}");
}

// A sink told the next batch sees, in its next write, exactly that batch;
// none is told a next batch that never comes.
TEST(Pipeline, TellsTheSinkTheQueuedNextBatch) {
  struct PeekingSink : Sink {
    std::vector<std::string> written, told;
    ApplyCounts write(const Batch& b) override { return write(b, nullptr); }
    ApplyCounts write(const Batch& b, const Batch* next) override {
      written.push_back(b.checkpoint);
      told.push_back(next ? next->checkpoint : "-");
      // slow enough that the source queues the following batches meanwhile
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return {int64_t(b.records.size()), 0, 0, 0};
    }
  } sink;
  Logger log(Logger::Format::kText, true);
  Pipeline p(sink, {1, 1 << 20, std::chrono::milliseconds(10000), 4}, log);
  for (int i = 0; i < 20; ++i) p.add({"upbit", "{}", ""}, "{\"i\":" + std::to_string(i) + "}");
  Counts c = p.finish();
  EXPECT_EQ(c.inserted, 20);
  ASSERT_EQ(sink.written.size(), 20u);
  int told_next = 0;
  for (size_t k = 0; k < sink.told.size(); ++k) {
    if (sink.told[k] == "-") continue;
    ++told_next;
    ASSERT_LT(k + 1, sink.written.size());
    EXPECT_EQ(sink.told[k], sink.written[k + 1]);
  }
  EXPECT_GT(told_next, 0);  // the queue held a next batch at least once
  EXPECT_EQ(sink.told.back(), "-");
}

TEST(Pipeline, WriterFailureReachesTheSource) {
  struct FailingSink : Sink {
    ApplyCounts write(const Batch&) override { throw DbError("boom"); }
  } sink;
  Logger log(Logger::Format::kText, true);
  Pipeline p(sink, {1, 1 << 20, std::chrono::milliseconds(10000), 1}, log);
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) p.add({"upbit", "{}", ""});
      },
      DbError);
  EXPECT_THROW(p.finish(), DbError);
}

TEST(CopyText, EscapesSpecialCharacters) {
  std::string out;
  copy_text_escape("a\\b\nc\td\re", out);
  EXPECT_EQ(out, "a\\\\b\\nc\\td\\re");
  // Every position of every special byte within and across 8-byte words,
  // next to high bytes, against a byte-at-a-time reference.
  auto reference = [](const std::string& in) {
    std::string r;
    for (char ch : in) {
      if (ch == '\\') r += "\\\\";
      else if (ch == '\n') r += "\\n";
      else if (ch == '\r') r += "\\r";
      else if (ch == '\t') r += "\\t";
      else r += ch;
    }
    return r;
  };
  const std::string specials = std::string("\\\n\r\t") + "\x89\xdc\x0a\x5b\x5d\x8d\x00";
  for (std::size_t len = 0; len <= 20; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      for (char sp : specials) {
        std::string in(len, 'x');
        for (std::size_t k = 0; k < len; k += 3) in[k] = static_cast<char>(0xC3);
        in[pos] = sp;
        std::string got = "prefix";
        copy_text_escape(in, got);
        EXPECT_EQ(got, "prefix" + reference(in)) << len << " " << pos << " " << static_cast<int>(sp);
      }
    }
  }
  out.clear();
  copy_bytea_hex(std::string("\x00\xff" "A", 3), out);
  EXPECT_EQ(out, "\\\\x00ff41");
}

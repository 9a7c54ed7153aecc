// Framing of tweet streams and files, jsonb preparation, and X's timestamps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/framing.h"
#include "core/jsonb_text.h"
#include "core/tweet_time.h"

using namespace pulse::load;

namespace {

struct Collect {
  std::vector<Frame> frames;
  FrameSink sink() {
    return [this](Frame&& f) { frames.push_back(std::move(f)); };
  }
};

std::vector<std::string> lines_of(const std::vector<std::string>& chunks, FramingLimits limits = {}) {
  LineFramer f(limits);
  Collect c;
  for (const auto& ch : chunks) f.feed(ch, c.sink());
  if (auto last = f.finish()) c.frames.push_back(std::move(*last));
  std::vector<std::string> out;
  for (auto& fr : c.frames) out.push_back(fr.problem.empty() ? fr.bytes : "!" + fr.problem);
  return out;
}

}  // namespace

TEST(LineFramer, SplitsLinesAcrossReadsAndSkipsKeepAlives) {
  auto out = lines_of({"{\"a\":1}\r\n\r\n{\"b\"", ":2}\r", "\n\r\n", "\r\n{\"c\":3}\n"});
  EXPECT_EQ(out, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
}

TEST(LineFramer, ReassemblesAUtf8CharacterSplitAcrossChunks) {
  std::string line = "{\"text\":\"\xF0\x9F\x98\x80 \xE2\x82\xBF\"}";  // U+1F600, U+20BF
  for (size_t cut = 1; cut < line.size(); ++cut) {
    auto out = lines_of({line.substr(0, cut), line.substr(cut) + "\n"});
    ASSERT_EQ(out.size(), 1u) << cut;
    EXPECT_EQ(out[0], line) << cut;
  }
  // one byte at a time
  std::vector<std::string> bytes;
  for (char c : line + "\r\n") bytes.emplace_back(1, c);
  EXPECT_EQ(lines_of(bytes), std::vector<std::string>{line});
}

TEST(LineFramer, LastLineWithoutNewlineComesFromFinish) {
  LineFramer f;
  Collect c;
  f.feed("{\"a\":1}\n{\"trunc", c.sink());
  ASSERT_EQ(c.frames.size(), 1u);
  auto last = f.finish();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->bytes, "{\"trunc");
  EXPECT_FALSE(f.finish().has_value());
}

TEST(LineFramer, OversizedLineIsRejectedWithAPrefixAndBoundedMemory) {
  FramingLimits lim;
  lim.max_record = 1000;
  lim.keep_prefix = 100;
  LineFramer f(lim);
  Collect c;
  f.feed("{\"ok\":1}\n", c.sink());
  std::string big(250, 'x');
  for (int i = 0; i < 40; ++i) {  // 10,000 bytes in chunks
    f.feed(big, c.sink());
    EXPECT_LE(f.pending(), lim.max_record);
  }
  f.feed("\n{\"ok\":2}\n", c.sink());
  ASSERT_EQ(c.frames.size(), 3u);
  EXPECT_EQ(c.frames[0].bytes, "{\"ok\":1}");
  EXPECT_EQ(c.frames[1].bytes, std::string(100, 'x'));
  EXPECT_EQ(c.frames[1].size, 10000u);
  EXPECT_NE(c.frames[1].problem.find("10000 bytes is longer than the limit of 1000"), std::string::npos);
  EXPECT_EQ(c.frames[2].bytes, "{\"ok\":2}");
  EXPECT_TRUE(c.frames[2].problem.empty());
}

TEST(LineFramer, TenMegabyteLineWithinTheDefaultLimitIsOneRecord) {
  LineFramer f;
  Collect c;
  std::string body = "{\"data\":{\"id\":\"1\",\"text\":\"" + std::string(10u << 20, 'a') + "\"}}";
  for (size_t i = 0; i < body.size(); i += 65536) f.feed(std::string_view(body).substr(i, 65536), c.sink());
  f.feed("\n", c.sink());
  ASSERT_EQ(c.frames.size(), 1u);
  EXPECT_TRUE(c.frames[0].problem.empty());
  EXPECT_EQ(c.frames[0].bytes.size(), body.size());
}

namespace {
std::vector<std::string> array_of(const std::string& text, size_t chunk, FramingLimits limits = {}) {
  RecordReader r(limits);
  Collect c;
  for (size_t i = 0; i < text.size(); i += chunk) r.feed(std::string_view(text).substr(i, chunk), c.sink());
  r.finish(c.sink());
  std::vector<std::string> out;
  for (auto& fr : c.frames) out.push_back(fr.problem.empty() ? fr.bytes : "!" + fr.problem + "|" + fr.bytes);
  return out;
}
}  // namespace

TEST(JsonArraySplitter, SplitsElementsWhateverTheChunking) {
  std::string text = "\xEF\xBB\xBF \n[ {\"a\":[1,2,{\"b\":\"],\\\"}[\"}]},\n  {\"c\":\"x,y\"} ,\"s\",3 ]\n";
  for (size_t chunk : {1u, 2u, 3u, 7u, 1000u}) {
    auto out = array_of(text, chunk);
    EXPECT_EQ(out, (std::vector<std::string>{" {\"a\":[1,2,{\"b\":\"],\\\"}[\"}]}", "\n  {\"c\":\"x,y\"} ", "\"s\"", "3 "}))
        << chunk;
  }
}

TEST(JsonArraySplitter, ReportsProblemsAsFrames) {
  EXPECT_EQ(array_of("[]", 1), std::vector<std::string>{});
  EXPECT_EQ(array_of("[1,,2]", 1), (std::vector<std::string>{"1", "!empty element in the JSON array|", "2"}));
  auto cut = array_of("[{\"a\":1},{\"b\":", 4);
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0], "{\"a\":1}");
  EXPECT_EQ(cut[1].rfind("!truncated", 0), 0u);
  auto trailing = array_of("[1] junk", 3);
  ASSERT_EQ(trailing.size(), 2u);
  EXPECT_EQ(trailing[1], "!bytes after the end of the JSON array|junk");
}

TEST(JsonArraySplitter, OversizedElementIsRejectedAndTheNextOneKept) {
  FramingLimits lim;
  lim.max_record = 50;
  lim.keep_prefix = 10;
  auto out = array_of("[\"" + std::string(500, 'z') + "\",{\"ok\":true}]", 16, lim);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].rfind("!record of 502 bytes is longer than the limit of 50", 0), 0u);
  EXPECT_EQ(out[0].substr(out[0].find('|') + 1), "\"" + std::string(9, 'z'));
  EXPECT_EQ(out[1], "{\"ok\":true}");
}

TEST(RecordReader, JsonLinesWhenTheFirstByteIsNotABracket) {
  auto out = array_of("{\"a\":1}\n\n{\"b\":[1,\n", 5);
  EXPECT_EQ(out, (std::vector<std::string>{"{\"a\":1}", "{\"b\":[1,"}));
}

TEST(PrepareForJsonb, LeavesOrdinaryTextAlone) {
  auto r = prepare_for_jsonb("{\"t\":\"caf\\u00e9 \\ud83d\\ude00 \\\\u0000 \\\"\",\"n\":-12.5e3,\"big\":123456789012345678901234567890}");
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(r.reject.empty());
  EXPECT_TRUE(r.note.empty());
}

// The scan skips string contents 8 bytes at a time: escapes, quotes and
// numbers at every offset around those words are still found.
TEST(PrepareForJsonb, FindsEscapesAtEveryOffset) {
  for (std::size_t k = 0; k <= 17; ++k) {
    const std::string pad(k, 'x');
    auto nul = prepare_for_jsonb("{\"t\":\"" + pad + "\\u0000" + pad + "\",\"n\":1}");
    EXPECT_TRUE(nul.changed) << k;
    EXPECT_EQ(nul.text, "{\"t\":\"" + pad + pad + "\",\"n\":1}") << k;
    auto lone = prepare_for_jsonb("[\"" + pad + "\\ud800\"," + pad.substr(0, 0) + "\"" + pad + "\\\"" + pad + "\"]");
    EXPECT_EQ(lone.text, "[\"" + pad + "\\ufffd\",\"" + pad + "\\\"" + pad + "\"]") << k;
    auto big = prepare_for_jsonb("[\"" + pad + "\\\"\"," + "1e999999]");
    EXPECT_FALSE(big.reject.empty()) << k;
    auto quoted = prepare_for_jsonb("[\"" + pad + "\\\\\",\"1e999999\"]");
    EXPECT_TRUE(quoted.reject.empty()) << k;
    EXPECT_FALSE(quoted.changed) << k;
  }
}

TEST(PrepareForJsonb, RemovesNulEscapesAndReplacesLoneSurrogates) {
  auto r = prepare_for_jsonb("{\"t\":\"a\\u0000b\\u0000\",\"u\":\"x\\ud800y\\udc00z\\uD83D\\uDE00\"}");
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(r.text, "{\"t\":\"ab\",\"u\":\"x\\ufffdy\\ufffdz\\uD83D\\uDE00\"}");
  EXPECT_NE(r.note.find("removed 2 \\u0000 escapes"), std::string::npos);
  EXPECT_NE(r.note.find("replaced 2 unpaired surrogate escapes"), std::string::npos);
  EXPECT_TRUE(r.reject.empty());
  // A high surrogate at the very end of a string, and one followed by a non-low escape.
  auto r2 = prepare_for_jsonb("[\"\\ud83d\",\"\\ud83d\\u0041\"]");
  EXPECT_EQ(r2.text, "[\"\\ufffd\",\"\\ufffd\\u0041\"]");
}

TEST(PrepareForJsonb, RejectsNumbersBeyondNumeric) {
  // Limits checked against PostgreSQL 15's jsonb input.
  for (const char* ok : {"1e131071", "0.1e131072", "1e-16383", "1.5e-16382", "0e200000", "-0.0"})
    EXPECT_TRUE(prepare_for_jsonb(ok).reject.empty()) << ok;
  for (const char* bad : {"1e131072", "10e131071", "0.1e131073", "0.5e-16383", "0e-20000", "[1,2e999999999999]"})
    EXPECT_FALSE(prepare_for_jsonb(bad).reject.empty()) << bad;
  // digits inside strings are not numbers
  EXPECT_TRUE(prepare_for_jsonb("{\"s\":\"1e999999\"}").reject.empty());
}

TEST(TweetTime, ParsesBothSpellings) {
  EXPECT_EQ(pulse::parse_tweet_time("2021-05-18T19:24:56.000Z"), 1621365896000000LL);
  EXPECT_EQ(pulse::parse_tweet_time("Fri Jul 12 23:40:37 +0000 2019"), 1562974837000000LL);
  EXPECT_EQ(pulse::parse_tweet_time("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(pulse::parse_tweet_time("1969-12-31T23:59:59.5Z"), -500000);
  EXPECT_EQ(pulse::parse_tweet_time("2000-03-01T01:00:00+01:00"), 951868800000000LL);
  EXPECT_FALSE(pulse::parse_tweet_time("2100-02-29T00:00:00Z"));  // not a leap year
  EXPECT_TRUE(pulse::parse_tweet_time("2000-02-29T00:00:00Z"));   // a leap year
  EXPECT_FALSE(pulse::parse_tweet_time("2021-05-18T19:24:60Z"));
  EXPECT_FALSE(pulse::parse_tweet_time("2021-05-18T19:24:56.Z"));
  EXPECT_FALSE(pulse::parse_tweet_time("Fri Jul 32 23:40:37 +0000 2019"));
  EXPECT_FALSE(pulse::parse_tweet_time("Fri Jul 12 23:40:37 +0000 2019\n"));
}

#include "core/tweet_fields.h"

TEST(TweetFields, ParseDecimal) {
  EXPECT_EQ(pulse::parse_decimal("9223372036854775807", INT64_MAX), INT64_MAX);
  EXPECT_FALSE(pulse::parse_decimal("9223372036854775808", INT64_MAX));
  EXPECT_FALSE(pulse::parse_decimal("99999999999999999999", INT64_MAX));
  EXPECT_EQ(pulse::parse_decimal("2147483647", 2147483647), 2147483647);
  EXPECT_FALSE(pulse::parse_decimal("2147483648", 2147483647));
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x1"})
    EXPECT_FALSE(pulse::parse_decimal(bad, INT64_MAX)) << bad;
}

TEST(TweetFields, StripSigilsAndDedupe) {
  EXPECT_EQ(pulse::strip_sigils("##tag", "#"), "tag");
  EXPECT_EQ(pulse::strip_sigils("\xEF\xBC\x83tag", "#\xEF\xBC\x83"), "tag");  // U+FF03 fullwidth #
  EXPECT_EQ(pulse::strip_sigils("\xEF\xBC\xA1x", "#\xEF\xBC\x83"), "\xEF\xBC\xA1x");  // another 3-byte char stays
  EXPECT_EQ(pulse::strip_sigils("$", "$"), "");
  EXPECT_EQ(pulse::dedupe_in_order({"b", "a", "b", "", "c", "a"}), (std::vector<std::string>{"b", "a", "c"}));
}
